"""The declarative multi-state cohort model (scenario version 2): spec, hazards, simulation, pricing, indicators."""
