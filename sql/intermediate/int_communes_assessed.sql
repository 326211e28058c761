-- one row per registry commune and year, for provinces with an accepted submission that year
with

districts as (
    select * from intermediate.int_districts_in_scope
),

registry as (
    select * from staging.stg_registry_communes
),

inputs as (
    select * from intermediate.int_commune_inputs_joined
),

conditions as (
    select * from intermediate.int_commune_conditions_evaluated
),

conditions_counted as (
    select
        year,
        commune_code,
        count(*) filter (where level = 'basic' and outcome = 'fail') as count_basic_failed,
        count(*) filter (where level = 'basic' and outcome = 'unknown') as count_basic_unknown,
        count(*) filter (where level = 'advanced' and outcome = 'fail') as count_advanced_failed,
        count(*) filter (
            where level = 'advanced' and outcome = 'unknown'
        ) as count_advanced_unknown,
        list(condition order by condition_order) filter (where outcome = 'fail') as failed_list,
        list(condition order by condition_order) filter (where outcome = 'unknown') as unknown_list
    from conditions
    group by year, commune_code
),

-- one column per condition, in code order; the list is fixed so that the columns
-- exist even when no commune was evaluated
outcomes_pivoted as (
    pivot (
        select
            year,
            commune_code,
            lower(condition) as condition,
            outcome
        from conditions
    )
    on condition in (
        'c1_governance',
        'c2_no_security_incidents',
        'c3_no_mass_complaints',
        'c4_no_serious_crime',
        'c5_crime_contained',
        'c6_safe_villages',
        'c7_commune_police',
        'c8_typical_model',
        'a1_crime_reduced',
        'a2_safe_villages_90',
        'a3_camera_and_two_models',
        'a4_movement_fair'
    )
    using any_value(outcome)
    group by year, commune_code
),

assessed as (
    select
        districts.year,
        districts.province_code,
        districts.district_code,
        registry.commune_code,
        registry.commune_name,
        inputs.commune_code is not null as is_reported,
        case
            when inputs.commune_code is null then 'not_reported'
            when conditions_counted.count_basic_failed > 0 then 'falls_short'
            when conditions_counted.count_basic_unknown > 0 then 'not_assessable'
            else 'meets'
        end as status,
        conditions_counted.count_advanced_failed,
        conditions_counted.count_advanced_unknown,
        coalesce(conditions_counted.failed_list, []::varchar[]) as failed_conditions,
        coalesce(conditions_counted.unknown_list, []::varchar[]) as unknown_conditions,
        outcomes_pivoted.* exclude (outcomes_pivoted.year, outcomes_pivoted.commune_code),
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
        on districts.district_code = registry.district_code
    left join inputs
        on
            registry.commune_code = inputs.commune_code
            and districts.year = inputs.year
    left join conditions_counted
        on
            registry.commune_code = conditions_counted.commune_code
            and districts.year = conditions_counted.year
    left join outcomes_pivoted
        on
            registry.commune_code = outcomes_pivoted.commune_code
            and districts.year = outcomes_pivoted.year
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
