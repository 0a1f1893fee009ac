# corpus: benign
# hashlib, base64, hmac, secrets and uuid.
import base64
import hashlib
import hmac
import secrets
import uuid


def main(message="hello world"):
    digest = hashlib.sha256(message.encode()).hexdigest()
    encoded = base64.b64encode(message.encode()).decode()
    decoded = base64.b64decode(encoded).decode()
    signature = hmac.new(b"key", message.encode(), hashlib.sha1).hexdigest()
    token = secrets.token_hex(8)
    identifier = uuid.uuid4()
    stable = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com")
    return {"sha256": digest, "b64": encoded, "roundtrip": decoded == message, "hmac": signature, "token_len": len(token), "uuid_version": identifier.version, "stable": str(stable)}
