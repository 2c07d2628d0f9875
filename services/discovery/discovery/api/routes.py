"""discovery's routes (thin): parse, check role and area, call a use case inside one transaction, shape the answer."""
from fastapi import APIRouter

from discovery.api import applications, clues, households, signals, visits

router = APIRouter()
for module in (applications, visits, clues, signals, households):
    router.include_router(module.router)
