"""For scrapyd-deploy, which builds the project's egg with ``python setup.py bdist_egg``.

Everything is configured in pyproject.toml; pip does not need this file.
"""

from setuptools import setup

setup()
