"""Leaked credentials: the Entra secret format and checksum, the scanner and what it reads, key
material, the credential registry (keyed digests only), the server key, GitHub's partner-program
intake, and the service that turns matches into leakedCredentials detections."""
