# Headway: migrate, then serve Slack's requests on :3000 (/slack/events, /healthz, /metrics).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY templates ./templates
COPY migrations ./migrations
# The same non-editable install CI checks (tests/test_packaging.py): templates and migrations ride in the wheel.
# Dependencies at the versions CI tested (constraints.txt), so a new release upstream cannot change the image.
RUN pip wheel --no-cache-dir -c constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HEADWAY_HOST=0.0.0.0 HEADWAY_PORT=3000 \
    DATABASE_URL=sqlite:////data/headway.db
RUN useradd --create-home --uid 10001 headway && mkdir /data && chown headway /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER headway
WORKDIR /home/headway
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"
# Replicas may start together: migrate takes a PostgreSQL advisory lock, so they migrate one after the other.
CMD ["sh", "-c", "headway migrate && exec headway serve"]
