"""Every domain's models, imported in dependency order so metadata is complete."""

from coopzone.accounts import models as accounts_models
from coopzone.cooperation import models as cooperation_models
from coopzone.db import Base
from coopzone.ecology import models as ecology_models
from coopzone.gov_services import models as gov_services_models
from coopzone.kit import data_versions as kit_data_versions
from coopzone.kit import models as kit_models
from coopzone.kit.statements import models as statements_models
from coopzone.notifications import models as notifications_models
from coopzone.places import models as places_models

__all__ = ["Base", "accounts_models", "cooperation_models", "ecology_models",
           "gov_services_models", "kit_data_versions", "kit_models", "notifications_models",
           "places_models", "statements_models"]
