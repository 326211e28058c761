-- one row per typical-model row of every received submission (any status)
with

source as (
    select * from raw.models
),

renamed as (
    select
        submission_id::bigint as submission_id,
        row_number::integer as source_row_number,
        commune_code::varchar as commune_code,
        lower(model_type) as model_type,
        model_name,
        year_started::integer as year_started,
        is_effective::boolean as is_effective
    from source
),

final as (
    select * from renamed
)

select * from final
