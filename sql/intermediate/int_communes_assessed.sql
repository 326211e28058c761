-- one row per registry commune and year, for provinces with an accepted submission that year:
-- the communes of each district's registry version (registry.md), each at most once a year
with

districts as (
    select * from intermediate.int_districts_in_scope
),

registry as (
    select * from staging.stg_communes_by_version
),

listed as (
    select * from intermediate.int_communes_in_force
),

inputs as (
    select * from intermediate.int_commune_inputs_joined
),

conditions as (
    select * from intermediate.int_commune_conditions_summarised
),

assessed as (
    select
        districts.year,
        districts.province_code,
        districts.district_code,
        registry.commune_code,
        registry.commune_name,
        districts.registry_version,
        inputs.commune_code is not null as is_reported,
        case
            when inputs.commune_code is null then 'not_reported'
            when conditions.count_basic_failed > 0 then 'falls_short'
            when conditions.count_basic_unknown > 0 then 'not_assessable'
            else 'meets'
        end as status,
        conditions.count_advanced_failed,
        conditions.count_advanced_unknown,
        coalesce(conditions.failed_conditions, []::varchar[]) as failed_conditions,
        coalesce(conditions.unknown_conditions, []::varchar[]) as unknown_conditions,
        conditions.c1_governance,
        conditions.c2_no_security_incidents,
        conditions.c3_no_mass_complaints,
        conditions.c4_no_serious_crime,
        conditions.c5_crime_contained,
        conditions.c6_safe_villages,
        conditions.c7_commune_police,
        conditions.c8_typical_model,
        conditions.a1_crime_reduced,
        conditions.a2_safe_villages_90,
        conditions.a3_camera_and_two_models,
        conditions.a4_movement_fair,
        inputs.reported_commune_name,
        inputs.source_row_number,
        inputs.party_resolution,
        inputs.commune_plan,
        inputs.security_incidents,
        inputs.mass_complaints,
        inputs.social_order_crimes,
        inputs.serious_crimes,
        inputs.serious_crimes_solved,
        inputs.drug_crimes,
        inputs.social_evil_cases,
        inputs.traffic_accidents,
        inputs.traffic_deaths,
        inputs.traffic_injuries,
        inputs.fires,
        inputs.villages_total,
        inputs.villages_safe,
        inputs.police_rating,
        inputs.police_disciplined,
        inputs.movement_rating,
        inputs.security_teams,
        inputs.mediation_teams,
        inputs.fire_teams,
        inputs.interfamily_groups,
        inputs.cameras,
        inputs.reintegrated_persons,
        inputs.previous_social_order_crimes,
        inputs.previous_social_evil_cases,
        inputs.effective_models,
        -- the district's submission in force, also when it leaves this commune out
        districts.submission_id,
        districts.ruleset
    from districts
    inner join registry
        on
            districts.registry_version = registry.registry_version
            and districts.district_code = registry.district_code
    left join inputs
        on
            registry.commune_code = inputs.commune_code
            and districts.district_code = inputs.district_code
            and districts.year = inputs.year
    left join conditions
        on
            registry.commune_code = conditions.commune_code
            and districts.district_code = conditions.district_code
            and districts.year = conditions.year
    -- a commune that a submission in force lists is not also another district's
    -- not_reported row (two districts' versions may both hold its code)
    where
        inputs.commune_code is not null
        or not exists (
            select 1
            from listed
            where
                listed.commune_code = registry.commune_code
                and listed.year = districts.year
        )
    -- and a code not reported that two districts' versions hold counts once: in the
    -- district whose version is its province's
    qualify
        row_number() over (
            partition by districts.year, registry.commune_code
            order by
                inputs.commune_code is null,
                districts.registry_version <> districts.province_registry_version,
                districts.district_code
        ) = 1
),

final as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        commune_name,
        status,
        case status
            when 'meets' then true
            when 'not_assessable' then null
            else false
        end as meets_19_2,
        case
            when status = 'meets' and count_advanced_failed = 0 and count_advanced_unknown = 0
                then true
            when status in ('falls_short', 'not_reported') or count_advanced_failed > 0
                then false
        end as meets_19_2_advanced,
        failed_conditions,
        unknown_conditions,
        * exclude (
            year,
            province_code,
            district_code,
            commune_code,
            commune_name,
            status,
            count_advanced_failed,
            count_advanced_unknown,
            failed_conditions,
            unknown_conditions
        )
    from assessed
)

select * from final
