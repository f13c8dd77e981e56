#!/bin/sh
# Sign a JSON request with openssl (RFC 9421 over an RFC 9530 Content-Digest) and send it.
# Usage: sign_request.sh KEY.pem KEYID METHOD PATH BODY_FILE IDEMPOTENCY_KEY [BASE_URL]
# Needs an API key in $API_KEY; prints the answer. OpenSSL 3 (pkeyutl -rawin) for Ed25519.
set -eu
key=$1 keyid=$2 method=$3 path=$4 body=$5 idem=$6 base=${7:-http://localhost:8000}
digest="sha-256=:$(openssl dgst -sha256 -binary "$body" | base64 | tr -d '\n'):"
params="(\"@method\" \"@path\" \"content-digest\" \"idempotency-key\");created=$(date +%s);keyid=\"$keyid\""
printf '"@method": %s\n"@path": %s\n"content-digest": %s\n"idempotency-key": %s\n"@signature-params": %s' \
  "$method" "$path" "$digest" "$idem" "$params" > "$body.base"
signature=$(openssl pkeyutl -sign -inkey "$key" -rawin -in "$body.base" | base64 | tr -d '\n')
curl -sS -X "$method" "$base$path" \
  -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $idem" -H "Content-Digest: $digest" \
  -H "Signature-Input: sig1=$params" -H "Signature: sig1=:$signature:" \
  --data-binary "@$body"
