-- one row per commune row of every received submission (any status)
with

source as (
    select * from raw.communes
),

renamed as (
    select
        submission_id::bigint as submission_id,
        row_number::integer as source_row_number,
        commune_code::varchar as commune_code,
        commune_name as reported_commune_name,
        party_resolution::boolean as party_resolution,
        commune_plan::boolean as commune_plan,
        security_incidents::integer as security_incidents,
        mass_complaints::integer as mass_complaints,
        social_order_crimes::integer as social_order_crimes,
        serious_crimes::integer as serious_crimes,
        serious_crimes_solved::integer as serious_crimes_solved,
        drug_crimes::integer as drug_crimes,
        social_evil_cases::integer as social_evil_cases,
        traffic_accidents::integer as traffic_accidents,
        traffic_deaths::integer as traffic_deaths,
        traffic_injuries::integer as traffic_injuries,
        fires::integer as fires,
        villages_total::integer as villages_total,
        villages_safe::integer as villages_safe,
        lower(police_rating) as police_rating,
        police_disciplined::integer as police_disciplined,
        lower(movement_rating) as movement_rating,
        security_teams::integer as security_teams,
        mediation_teams::integer as mediation_teams,
        fire_teams::integer as fire_teams,
        interfamily_groups::integer as interfamily_groups,
        cameras::integer as cameras,
        reintegrated_persons::integer as reintegrated_persons
    from source
),

final as (
    select * from renamed
)

select * from final
