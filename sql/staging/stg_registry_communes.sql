-- one row per commune of the registry
with

source as (
    select * from ref.communes
),

renamed as (
    select
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
