-- one row per reported commune and year: the outcomes of its conditions, counted and listed
-- (one aggregate over the conditions, grouped by province, so that a rebuild of some
-- provinces reads only their rows)
with

conditions as (
    select * from intermediate.int_commune_conditions_evaluated
),

summarised as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        count(*) filter (where level = 'basic' and outcome = 'fail') as count_basic_failed,
        count(*) filter (where level = 'basic' and outcome = 'unknown') as count_basic_unknown,
        count(*) filter (where level = 'advanced' and outcome = 'fail') as count_advanced_failed,
        count(*) filter (
            where level = 'advanced' and outcome = 'unknown'
        ) as count_advanced_unknown,
        list(condition order by condition_order) filter (
            where outcome = 'fail'
        ) as failed_conditions,
        list(condition order by condition_order) filter (
            where outcome = 'unknown'
        ) as unknown_conditions,
        -- one column per condition, in code order
        any_value(outcome) filter (where condition = 'C1_governance') as c1_governance,
        any_value(outcome) filter (
            where condition = 'C2_no_security_incidents'
        ) as c2_no_security_incidents,
        any_value(outcome) filter (
            where condition = 'C3_no_mass_complaints'
        ) as c3_no_mass_complaints,
        any_value(outcome) filter (where condition = 'C4_no_serious_crime') as c4_no_serious_crime,
        any_value(outcome) filter (where condition = 'C5_crime_contained') as c5_crime_contained,
        any_value(outcome) filter (where condition = 'C6_safe_villages') as c6_safe_villages,
        any_value(outcome) filter (where condition = 'C7_commune_police') as c7_commune_police,
        any_value(outcome) filter (where condition = 'C8_typical_model') as c8_typical_model,
        any_value(outcome) filter (where condition = 'A1_crime_reduced') as a1_crime_reduced,
        any_value(outcome) filter (where condition = 'A2_safe_villages_90') as a2_safe_villages_90,
        any_value(outcome) filter (
            where condition = 'A3_camera_and_two_models'
        ) as a3_camera_and_two_models,
        any_value(outcome) filter (where condition = 'A4_movement_fair') as a4_movement_fair
    from conditions
    group by year, province_code, district_code, commune_code
),

final as (
    select * from summarised
)

select * from final
