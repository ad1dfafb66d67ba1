FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml constraints.txt README.md ./
COPY harvestdash ./harvestdash
COPY workspaces ./workspaces
COPY connectors ./connectors
COPY datasources ./datasources
COPY klips ./klips
COPY sandbox ./sandbox
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --create-home harvestdash && mkdir -p /data && chown harvestdash /data
USER harvestdash
EXPOSE 8000
CMD ["gunicorn", "harvestdash.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
