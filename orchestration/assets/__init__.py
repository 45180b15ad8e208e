"""Assets by stage: raw (land the files), dbt (stage, model, publish)."""
