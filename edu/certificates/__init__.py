"""Certificates: issuance, PDF, QR, signed credentials, verification, expiry and revocation."""
