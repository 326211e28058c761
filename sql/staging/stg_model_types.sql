-- one row per typical-model type of the workbook contract
with

source as (
    select * from ref.model_types
),

renamed as (
    select
        model_type::varchar as model_type,
        model_type_order::integer as model_type_order,
        model_type_label
    from source
),

final as (
    select * from renamed
)

select * from final
