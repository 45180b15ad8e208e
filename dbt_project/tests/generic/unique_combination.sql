{#- The grain of a table: no two rows share these columns. Two passes, because grouping
    millions of rows on their text columns is what made this the slowest test: rows whose
    columns hash alike first (one 64-bit hash per row), then the exact grouping of only those
    rows, which names the repeated combinations (a hash collision alone returns nothing). -#}
{% test unique_combination(model, columns) %}
{%- set key = columns | join(', ') %}
with repeated_hashes as (
    select hash({{ key }}) as row_hash
    from {{ model }}
    group by row_hash
    having count(*) > 1
)

select {{ key }}, count(*) as n_rows
from {{ model }}
semi join repeated_hashes on hash({{ key }}) = repeated_hashes.row_hash
group by {{ key }}
having count(*) > 1
{% endtest %}
