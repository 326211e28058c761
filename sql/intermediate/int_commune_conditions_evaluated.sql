-- one row per reported commune, year and condition (C1..C8 basic, A1..A4 advanced)
with

inputs as (
    select
        *,
        -- why year - 1 cannot be compared (registry.md "Comparing years across versions")
        case previous_comparison_status
            when 'changed'
                then format(
                    'the commune changed between registry versions {} and {} and no '
                    || 'succession is known',
                    previous_registry_version,
                    registry_version
                )
            when 'part'
                then format(
                    'a predecessor in registry version {} gave it only a part',
                    previous_registry_version
                )
            else format('no accepted data for {}', year - 1)
        end as previous_year_missing
    from intermediate.int_commune_inputs_joined
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
                    'social_order_crimes={}, social_evil_cases={}; {}',
                    social_order_crimes,
                    social_evil_cases,
                    previous_year_missing
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

-- C6 and A2 ask the same question of the villages, each against its own share
safe_village_levels as (
    select
        levels.level,
        levels.condition,
        levels.condition_order
    from (
        values
        ('basic', 'C6_safe_villages', 6),
        ('advanced', 'A2_safe_villages_90', 10)
    ) as levels (level, condition, condition_order)
),

safe_village_shares as (
    select
        inputs.*,
        safe_village_levels.*,
        case safe_village_levels.level
            when 'basic' then inputs.min_safe_village_share
            else inputs.adv_min_safe_village_share
        end as required_share
    from inputs
    cross join safe_village_levels
),

safe_villages as (
    select
        *,
        case
            when safe_village_share is null then 'unknown'
            when safe_village_share >= required_share then 'pass'
            else 'fail'
        end as outcome,
        format('villages_safe={}, villages_total={}', villages_safe, villages_total)
        || coalesce(format(' ({:g}%)', round(100 * safe_village_share, 1)), '') as observed,
        format('>= {:g}%', round(100 * required_share, 1)) as threshold,
        greatest(
            0, ceil(round(required_share * villages_total, 9)) - villages_safe
        )::integer as villages_needed
    from safe_village_shares
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
                    'social_order_crimes={}; {}',
                    social_order_crimes,
                    previous_year_missing
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
    select * from safe_villages
    union all by name
    select * from c7_commune_police
    union all by name
    select * from c8_typical_model
    union all by name
    select * from a1_crime_reduced
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
        previous_comparison_status,
        previous_registry_version,
        registry_version,
        submission_id,
        ruleset
    from unioned
)

select * from final
