# Stay Safe bot: a small image that runs `stay-safe run` (long polling, or a webhook).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONTENT_DIR=/app

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .
COPY flows ./flows
COPY content ./content

# Long polling needs no open port; a webhook (and /healthz, /readyz, /metrics) listens on
# PORT, 8080 by default. It runs as an unprivileged user; SIGTERM stops it cleanly.
RUN useradd --system --uid 10001 staysafe
USER staysafe
EXPOSE 8080
STOPSIGNAL SIGTERM

# Content is checked before the bot starts; a broken change never reaches users.
HEALTHCHECK --interval=60s --timeout=10s --retries=3 CMD ["stay-safe", "validate", "/app"]
CMD ["stay-safe", "run"]
