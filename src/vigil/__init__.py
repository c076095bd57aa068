"""vigil: runs the post-release step of a governed software delivery process."""

from vigil.errors import (
                          Conflict,
                          NotFound,
                          PermissionDenied,
                          PlanError,
                          RollbackError,
                          SourceError,
                          StoreError,
                          VigilError,
)

__version__ = "0.1.0"

__all__ = ["Conflict", "NotFound", "PermissionDenied", "PlanError", "RollbackError", "SourceError",
           "StoreError", "VigilError", "__version__"]
