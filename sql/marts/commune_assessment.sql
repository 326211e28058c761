-- one row per registry commune and year, for provinces with an accepted submission that year
with

districts as (
    select * from intermediate.int_districts_in_scope
),

registry as (
    select * from staging.stg_registry_communes
),

communes as (
    select * from intermediate.int_communes_in_force
),

previous_year as (
    select * from intermediate.int_commune_previous_year_joined
),

models as (
    select * from intermediate.int_commune_models_counted
),

conditions as (
    select * from intermediate.int_commune_conditions_evaluated
),

model_totals as (
    select
        year,
        commune_code,
        sum(effective_models)::integer as effective_models
    from models
    group by year, commune_code
),

conditions_listed as (
    select
        year,
        commune_code,
        count(*) filter (
            where level = 'basic' and outcome = 'fail'
        ) as count_basic_failed,
        count(*) filter (
            where level = 'basic' and outcome = 'unknown'
        ) as count_basic_unknown,
        count(*) filter (
            where level = 'advanced' and outcome = 'fail'
        ) as count_advanced_failed,
        count(*) filter (
            where level = 'advanced' and outcome = 'unknown'
        ) as count_advanced_unknown,
        list(condition order by condition_order) filter (
            where outcome = 'fail'
        ) as failed_list,
        list(condition order by condition_order) filter (
            where outcome = 'unknown'
        ) as unknown_list,
        any_value(outcome) filter (where condition = 'C1_governance') as c1_governance,
        any_value(outcome) filter (
            where condition = 'C2_no_security_incidents'
        ) as c2_no_security_incidents,
        any_value(outcome) filter (
            where condition = 'C3_no_mass_complaints'
        ) as c3_no_mass_complaints,
        any_value(outcome) filter (
            where condition = 'C4_no_serious_crime'
        ) as c4_no_serious_crime,
        any_value(outcome) filter (
            where condition = 'C5_crime_contained'
        ) as c5_crime_contained,
        any_value(outcome) filter (where condition = 'C6_safe_villages') as c6_safe_villages,
        any_value(outcome) filter (where condition = 'C7_commune_police') as c7_commune_police,
        any_value(outcome) filter (where condition = 'C8_typical_model') as c8_typical_model,
        any_value(outcome) filter (where condition = 'A1_crime_reduced') as a1_crime_reduced,
        any_value(outcome) filter (
            where condition = 'A2_safe_villages_90'
        ) as a2_safe_villages_90,
        any_value(outcome) filter (
            where condition = 'A3_camera_and_two_models'
        ) as a3_camera_and_two_models,
        any_value(outcome) filter (where condition = 'A4_movement_fair') as a4_movement_fair
    from conditions
    group by year, commune_code
),

assessed as (
    select
        districts.year,
        districts.province_code,
        districts.district_code,
        registry.commune_code,
        registry.commune_name,
        communes.commune_code is not null as is_reported,
        case
            when communes.commune_code is null then 'not_reported'
            when conditions_listed.count_basic_failed > 0 then 'falls_short'
            when conditions_listed.count_basic_unknown > 0 then 'not_assessable'
            else 'meets'
        end as status,
        conditions_listed.count_advanced_failed,
        conditions_listed.count_advanced_unknown,
        coalesce(conditions_listed.failed_list, []::varchar[]) as failed_conditions,
        coalesce(conditions_listed.unknown_list, []::varchar[]) as unknown_conditions,
        conditions_listed.c1_governance,
        conditions_listed.c2_no_security_incidents,
        conditions_listed.c3_no_mass_complaints,
        conditions_listed.c4_no_serious_crime,
        conditions_listed.c5_crime_contained,
        conditions_listed.c6_safe_villages,
        conditions_listed.c7_commune_police,
        conditions_listed.c8_typical_model,
        conditions_listed.a1_crime_reduced,
        conditions_listed.a2_safe_villages_90,
        conditions_listed.a3_camera_and_two_models,
        conditions_listed.a4_movement_fair,
        communes.reported_commune_name,
        communes.source_row_number,
        communes.party_resolution,
        communes.commune_plan,
        communes.security_incidents,
        communes.mass_complaints,
        communes.social_order_crimes,
        communes.serious_crimes,
        communes.serious_crimes_solved,
        communes.drug_crimes,
        communes.social_evil_cases,
        communes.traffic_accidents,
        communes.traffic_deaths,
        communes.traffic_injuries,
        communes.fires,
        communes.villages_total,
        communes.villages_safe,
        communes.police_rating,
        communes.police_disciplined,
        communes.movement_rating,
        communes.security_teams,
        communes.mediation_teams,
        communes.fire_teams,
        communes.interfamily_groups,
        communes.cameras,
        communes.reintegrated_persons,
        previous_year.previous_social_order_crimes,
        previous_year.previous_social_evil_cases,
        case
            when communes.commune_code is not null
                then coalesce(model_totals.effective_models, 0)
        end as effective_models,
        -- the district's submission in force, also when it leaves this commune out
        districts.submission_id,
        districts.ruleset
    from districts
    inner join registry
        on districts.district_code = registry.district_code
    left join communes
        on
            registry.commune_code = communes.commune_code
            and districts.year = communes.year
    left join previous_year
        on
            registry.commune_code = previous_year.commune_code
            and districts.year = previous_year.year
    left join model_totals
        on
            registry.commune_code = model_totals.commune_code
            and districts.year = model_totals.year
    left join conditions_listed
        on
            registry.commune_code = conditions_listed.commune_code
            and districts.year = conditions_listed.year
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
