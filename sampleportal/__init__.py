"""Sample Vietnamese government news portals, served over real HTTP on loopback.

Five CMS families (VNPT vnPortal, Liferay, Tandan SharePoint, NukeViet and an
unknown custom-PHP portal) with their URL shapes, markup, boilerplate, charset
accidents and crawler traps, a hand-written article corpus (the search corpus and
the extraction ground truth), and optional fault endpoints.

>>> from sampleportal import PortalServer
>>> with PortalServer("vnportal") as portal:
...     len(portal.expected_articles()) > 10
True
"""

from __future__ import annotations

from .corpus import FAMILIES, Article, all_articles
from .faults import FAULT_PATHS
from .server import PortalServer
from .site import ExpectedArticle

__all__ = ["FAMILIES", "FAULT_PATHS", "Article", "ExpectedArticle", "PortalServer", "all_articles"]
