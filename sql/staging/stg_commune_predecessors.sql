-- one row per commune of a version, earlier or later version and predecessor there
-- (previous_code null: the commune changed between the two and no succession is known)
with

source as (
    select * from ref.commune_predecessors
),

renamed as (
    select
        registry_version::varchar as registry_version,
        commune_code::varchar as commune_code,
        previous_version::varchar as previous_version,
        previous_code::varchar as previous_code,
        whole::boolean as whole
    from source
),

final as (
    select * from renamed
)

select * from final
