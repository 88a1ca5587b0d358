"""Clinics: organisations, staff links with the learner's consent, roster, bulk verification, exports."""
