-- one row per registry version and commune of that version
with

source as (
    select * from ref.communes_by_version
),

renamed as (
    select
        registry_version::varchar as registry_version,
        commune_code::varchar as commune_code,
        commune_name,
        district_code::varchar as district_code,
        province_code::varchar as province_code
    from source
),

final as (
    select * from renamed
)

select * from final
