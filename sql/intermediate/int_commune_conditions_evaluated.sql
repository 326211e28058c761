-- one row per reported commune, year and condition (C1..C8 basic, A1..A4 advanced)
with

communes as (
    select * from intermediate.int_communes_in_force
),

previous_year as (
    select * from intermediate.int_commune_previous_year_joined
),

models as (
    select * from intermediate.int_commune_models_counted
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

model_totals as (
    select
        year,
        commune_code,
        sum(effective_models) as effective_models
    from models
    group by year, commune_code
),

inputs as (
    select
        communes.*,
        previous_year.has_previous_year,
        previous_year.previous_social_order_crimes,
        previous_year.previous_social_evil_cases,
        rulesets.* exclude (rulesets.year),
        coalesce(model_totals.effective_models, 0) as effective_models,
        coalesce(required_type.effective_models, 0) as effective_models_of_required_type,
        case
            when communes.villages_total > 0
                then communes.villages_safe / communes.villages_total
        end as safe_village_share,
        format(
            'villages_safe={}, villages_total={}',
            communes.villages_safe,
            communes.villages_total
        ) as observed_villages
    from communes
    inner join rulesets
        on communes.year = rulesets.year
    inner join previous_year
        on
            communes.commune_code = previous_year.commune_code
            and communes.year = previous_year.year
    left join model_totals
        on
            communes.commune_code = model_totals.commune_code
            and communes.year = model_totals.year
    left join models as required_type
        on
            communes.commune_code = required_type.commune_code
            and communes.year = required_type.year
            and rulesets.adv_required_model_type = required_type.model_type
),

c1_governance as (
    select
        *,
        'basic' as level,
        'C1_governance' as condition,
        1 as condition_order,
        case when party_resolution and commune_plan then 'pass' else 'fail' end as outcome,
        format(
            'party_resolution={}, commune_plan={}', party_resolution, commune_plan
        ) as observed,
        'party_resolution and commune_plan' as threshold
    from inputs
),

c2_no_security_incidents as (
    select
        *,
        'basic' as level,
        'C2_no_security_incidents' as condition,
        2 as condition_order,
        case when security_incidents = 0 then 'pass' else 'fail' end as outcome,
        format('security_incidents={}', security_incidents) as observed,
        'security_incidents = 0' as threshold
    from inputs
),

c3_no_mass_complaints as (
    select
        *,
        'basic' as level,
        'C3_no_mass_complaints' as condition,
        3 as condition_order,
        case when mass_complaints = 0 then 'pass' else 'fail' end as outcome,
        format('mass_complaints={}', mass_complaints) as observed,
        'mass_complaints = 0' as threshold
    from inputs
),

c4_no_serious_crime as (
    select
        *,
        'basic' as level,
        'C4_no_serious_crime' as condition,
        4 as condition_order,
        case
            when serious_crime_policy = 'solved' and serious_crimes_solved = serious_crimes
                then 'pass'
            when serious_crime_policy = 'solved' then 'fail'
            when serious_crimes = 0 then 'pass'
            else 'fail'
        end as outcome,
        case
            when serious_crime_policy = 'solved'
                then format(
                    'serious_crimes={}, serious_crimes_solved={}',
                    serious_crimes,
                    serious_crimes_solved
                )
            else format('serious_crimes={}', serious_crimes)
        end as observed,
        case
            when serious_crime_policy = 'solved'
                then 'serious_crimes_solved = serious_crimes'
            else 'serious_crimes = 0'
        end as threshold
    from inputs
),

c5_crime_contained as (
    select
        *,
        'basic' as level,
        'C5_crime_contained' as condition,
        5 as condition_order,
        case
            when not has_previous_year then 'unknown'
            when
                social_order_crimes <= previous_social_order_crimes
                and social_evil_cases <= previous_social_evil_cases
                then 'pass'
            else 'fail'
        end as outcome,
        case
            when not has_previous_year
                then format(
                    'social_order_crimes={}, social_evil_cases={}; no accepted data for {}',
                    social_order_crimes,
                    social_evil_cases,
                    year - 1
                )
            else format(
                'social_order_crimes={} ({}: {}), social_evil_cases={} ({}: {})',
                social_order_crimes,
                year - 1,
                previous_social_order_crimes,
                social_evil_cases,
                year - 1,
                previous_social_evil_cases
            )
        end as observed,
        format('both <= their {} values', year - 1) as threshold
    from inputs
),

c6_safe_villages as (
    select
        *,
        'basic' as level,
        'C6_safe_villages' as condition,
        6 as condition_order,
        case
            when safe_village_share is null then 'unknown'
            when safe_village_share >= min_safe_village_share then 'pass'
            else 'fail'
        end as outcome,
        observed_villages
        || coalesce(format(' ({:g}%)', round(100 * safe_village_share, 1)), '') as observed,
        format('>= {:g}%', round(100 * min_safe_village_share, 1)) as threshold,
        greatest(
            0, ceil(round(min_safe_village_share * villages_total, 9)) - villages_safe
        )::integer as villages_needed
    from inputs
),

c7_commune_police as (
    select
        *,
        'basic' as level,
        'C7_commune_police' as condition,
        7 as condition_order,
        case
            when
                list_contains(police_ratings_passing, police_rating)
                and police_disciplined <= max_police_disciplined
                then 'pass'
            else 'fail'
        end as outcome,
        format(
            'police_rating={}, police_disciplined={}', police_rating, police_disciplined
        ) as observed,
        format(
            'police_rating in ({}), police_disciplined <= {}',
            array_to_string(police_ratings_passing, ', '),
            max_police_disciplined
        ) as threshold
    from inputs
),

c8_typical_model as (
    select
        *,
        'basic' as level,
        'C8_typical_model' as condition,
        8 as condition_order,
        case
            when effective_models >= min_effective_models then 'pass' else 'fail'
        end as outcome,
        format('effective_models={}', effective_models) as observed,
        format('effective_models >= {}', min_effective_models) as threshold
    from inputs
),

a1_crime_reduced as (
    select
        *,
        'advanced' as level,
        'A1_crime_reduced' as condition,
        9 as condition_order,
        case
            when not has_previous_year then 'unknown'
            when
                social_order_crimes < previous_social_order_crimes
                or (social_order_crimes = 0 and previous_social_order_crimes = 0)
                then 'pass'
            else 'fail'
        end as outcome,
        case
            when not has_previous_year
                then format(
                    'social_order_crimes={}; no accepted data for {}',
                    social_order_crimes,
                    year - 1
                )
            else format(
                'social_order_crimes={} ({}: {})',
                social_order_crimes,
                year - 1,
                previous_social_order_crimes
            )
        end as observed,
        format('social_order_crimes < {} value, or both 0', year - 1) as threshold
    from inputs
),

a2_safe_villages_90 as (
    select
        *,
        'advanced' as level,
        'A2_safe_villages_90' as condition,
        10 as condition_order,
        case
            when safe_village_share is null then 'unknown'
            when safe_village_share >= adv_min_safe_village_share then 'pass'
            else 'fail'
        end as outcome,
        observed_villages
        || coalesce(format(' ({:g}%)', round(100 * safe_village_share, 1)), '') as observed,
        format('>= {:g}%', round(100 * adv_min_safe_village_share, 1)) as threshold,
        greatest(
            0, ceil(round(adv_min_safe_village_share * villages_total, 9)) - villages_safe
        )::integer as villages_needed
    from inputs
),

a3_camera_and_two_models as (
    select
        *,
        'advanced' as level,
        'A3_camera_and_two_models' as condition,
        11 as condition_order,
        case
            when
                effective_models >= adv_min_effective_models
                and effective_models_of_required_type >= 1
                then 'pass'
            else 'fail'
        end as outcome,
        format(
            'effective_models={}, {}={}',
            effective_models,
            adv_required_model_type,
            effective_models_of_required_type
        ) as observed,
        format(
            'effective_models >= {}, {} >= 1',
            adv_min_effective_models,
            adv_required_model_type
        ) as threshold
    from inputs
),

a4_movement_fair as (
    select
        *,
        'advanced' as level,
        'A4_movement_fair' as condition,
        12 as condition_order,
        case
            when list_contains(movement_ratings_passing, movement_rating) then 'pass'
            else 'fail'
        end as outcome,
        format('movement_rating={}', movement_rating) as observed,
        format(
            'movement_rating in ({})', array_to_string(movement_ratings_passing, ', ')
        ) as threshold
    from inputs
),

unioned as (
    select * from c1_governance
    union all by name
    select * from c2_no_security_incidents
    union all by name
    select * from c3_no_mass_complaints
    union all by name
    select * from c4_no_serious_crime
    union all by name
    select * from c5_crime_contained
    union all by name
    select * from c6_safe_villages
    union all by name
    select * from c7_commune_police
    union all by name
    select * from c8_typical_model
    union all by name
    select * from a1_crime_reduced
    union all by name
    select * from a2_safe_villages_90
    union all by name
    select * from a3_camera_and_two_models
    union all by name
    select * from a4_movement_fair
),

final as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        level,
        condition,
        condition_order,
        outcome,
        observed,
        threshold,
        villages_needed,
        submission_id,
        ruleset
    from unioned
)

select * from final
