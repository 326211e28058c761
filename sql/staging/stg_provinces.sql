-- one row per province of the registry
with

source as (
    select * from ref.provinces
),

renamed as (
    select
        province_code::varchar as province_code,
        province_name
    from source
),

final as (
    select * from renamed
)

select * from final
