"""The CMS family templates, by the name ``PortalServer(family=...)`` takes."""

from __future__ import annotations

from .base import Family
from .generic import Generic
from .liferay import Liferay
from .nukeviet import NukeViet
from .tandan import Tandan
from .vnportal import VnPortal

FAMILY_TYPES: dict[str, type[Family]] = {
    family.name: family for family in (VnPortal, Liferay, Tandan, NukeViet, Generic)
}

__all__ = ["FAMILY_TYPES", "Family"]
