{#- Use custom schemas verbatim: `publish`, `main` and `crmsync_state` are interfaces read by
    tap-warehouse and the crmsync CLI, so they must not get a target prefix. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
