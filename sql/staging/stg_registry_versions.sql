-- one row per registry version, with the date it is in force from
with

source as (
    select * from ref.registry_versions
),

renamed as (
    select
        registry_version::varchar as registry_version,
        in_force_from::date as in_force_from,
        in_force_until::date as in_force_until,
        source
    from source
),

final as (
    select * from renamed
)

select * from final
