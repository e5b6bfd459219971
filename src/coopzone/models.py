"""Every domain's models, imported in dependency order so metadata is complete."""

from coopzone.db import Base
from coopzone.places import models as places_models
from coopzone.accounts import models as accounts_models  # noqa: I001 (places first)
from coopzone.ecology import models as ecology_models

__all__ = ["Base", "accounts_models", "ecology_models", "places_models"]
