"""Assets by layer (monitor/contract.yaml): raw (the landing files), dbt (staging, intermediate,
weighting, audit: one invocation), publish (monitor), exports, factsheets and assessments (share)."""
