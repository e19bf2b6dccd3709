"""Article and site data of the sample portals.

A package (not a plain folder) so that setuptools ships its JSON files.
"""
