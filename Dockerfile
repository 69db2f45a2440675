# irritants in a container (docs/deployment.md, « Conteneurs »): the wheel is built in a first stage and installed,
# with the exact versions of constraints.txt, into a virtual environment that the second stage copies. The service
# runs as an unprivileged user; its local state (exports, mails without SMTP) lives in /var/lib/irritants/instance,
# a volume. compose.yaml runs the same image three ways: `irritants setup --demo-reports 0` (migrations and
# référentiel, before anything else), gunicorn (web) and `irritants worker` (background work).
#
#   docker build -t irritants .

FROM python:3.11-slim AS build
WORKDIR /src
# What the build reads, nothing else (.dockerignore keeps the rest out of the context).
COPY pyproject.toml setup.cfg README.md constraints.txt ./
COPY irritants ./irritants
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/irritants \
    && /opt/irritants/bin/pip install --no-cache-dir -c constraints.txt "$(ls /wheels/irritants-*.whl)[sentry]"

FROM python:3.11-slim
# No compiler, no build tools: only the installed environment.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/irritants --create-home irritants \
    && mkdir -p /var/lib/irritants/instance \
    && chown irritants:irritants /var/lib/irritants/instance
COPY --from=build /opt/irritants /opt/irritants
ENV PATH=/opt/irritants/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IRRITANTS_ENV=production \
    IRRITANTS_INSTANCE_PATH=/var/lib/irritants/instance
WORKDIR /var/lib/irritants
USER irritants
EXPOSE 8000
# Ready when the database answers at the code's migration head. The probe says it comes through TLS (as the proxy
# in front would): production redirects plain HTTP to HTTPS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; r = u.Request('http://127.0.0.1:8000/readyz', headers={'X-Forwarded-Proto': 'https'}); sys.exit(0 if u.urlopen(r, timeout=4).status == 200 else 1)"]
CMD ["gunicorn", "-c", "python:irritants.gunicorn_conf", "--bind", "0.0.0.0:8000", "irritants.wsgi:app"]
