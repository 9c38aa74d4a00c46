"""Every table of the store on one metadata: the core tables here and each feature package's own.

The one module of `store` that imports the feature packages (their `models` modules only), so that opening the
store and running migrations see the complete schema.
"""

from __future__ import annotations

from inventory.findings import models as findings_models
from inventory.owners import models as owners_models
from inventory.register import models as register_models
from inventory.risks import models as risks_models
from inventory.sar import models as sar_models
from inventory.store.models import Base
from inventory.web import models as web_models

FEATURE_MODELS = (findings_models, owners_models, register_models, risks_models, sar_models, web_models)
metadata = Base.metadata
