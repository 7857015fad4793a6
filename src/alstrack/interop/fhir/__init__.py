"""FHIR R4 export: a patient's record as a Bundle of ``fhir.resources.R4B`` resources, and the
ALSFRS-R Questionnaire. Pure over the values services.fhir_export gathers (``view.py``); every
coding is checked against alstrack's code table (``codes.py``, domain/data/fhir/codes.yaml)."""
