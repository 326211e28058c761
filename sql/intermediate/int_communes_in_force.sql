-- one row per commune and year listed by the accepted submission of its district, with the
-- registry version that submission was checked against
with

communes as (
    select * from staging.stg_communes
),

in_force as (
    select * from staging.stg_submissions_in_force
),

registry as (
    select * from staging.stg_communes_by_version
),

listed as (
    select
        in_force.year,
        registry.province_code,
        registry.district_code,
        in_force.registry_version,
        communes.*
    from communes
    inner join in_force
        on communes.submission_id = in_force.submission_id
    -- a commune counts only when listed by the submission of its own district, in the
    -- version the submission was checked against
    inner join registry
        on
            in_force.registry_version = registry.registry_version
            and communes.commune_code = registry.commune_code
            and in_force.district_code = registry.district_code
    -- validation rejects repeated codes; keep the first row should one slip through
    qualify
        row_number() over (
            partition by communes.commune_code, in_force.year
            order by communes.source_row_number
        ) = 1
),

final as (
    select * from listed
)

select * from final
