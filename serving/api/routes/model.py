"""What is being served."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from serving.api.deps import get_service, require_api_key
from serving.api.schemas import ModelDescription, ModelsResponse
from serving.service import ScoringService

router = APIRouter(prefix="/v1", tags=["model"], dependencies=[Depends(require_api_key)])


@router.get("/model", response_model=ModelsResponse)
def get_model(service: ScoringService = Depends(get_service)) -> ModelsResponse:
    """Names, versions, run ids and features of the models behind every score (only those loaded)."""
    loaded = [m for m in (service.models.default, service.models.late) if m is not None]
    return ModelsResponse(
        model_version=service.models.primary.stamp,
        models=[
            ModelDescription(
                name=m.name,
                version=m.version,
                run_id=m.run_id,
                target=m.model.target,
                features=list(m.model.spec.names),
            )
            for m in loaded
        ],
    )
