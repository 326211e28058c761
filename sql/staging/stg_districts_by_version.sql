-- one row per registry version and district of that version
with

source as (
    select * from ref.districts_by_version
),

renamed as (
    select
        registry_version::varchar as registry_version,
        district_code::varchar as district_code,
        district_name,
        province_code::varchar as province_code
    from source
),

final as (
    select * from renamed
)

select * from final
