-- one row per district of the registry
with

source as (
    select * from ref.districts
),

renamed as (
    select
        district_code::varchar as district_code,
        district_name,
        province_code::varchar as province_code
    from source
),

final as (
    select * from renamed
)

select * from final
