-- one row per reported commune, year and earlier year it is compared with (the previous
-- year for C5 and A1, the baseline year for the district's reduction), through its
-- predecessors in the registry version that earlier year used (registry.md "Comparing
-- years across versions"); earlier data is looked up within the commune's province
with

communes as (
    select * from intermediate.int_communes_in_force
),

districts as (
    select * from intermediate.int_districts_in_scope
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

predecessors as (
    select * from staging.stg_commune_predecessors
),

comparisons as (
    select
        communes.year,
        communes.province_code,
        communes.district_code,
        communes.commune_code,
        communes.registry_version,
        kinds.comparison,
        case kinds.comparison
            when 'previous_year' then communes.year - 1
            else rulesets.baseline_year
        end as compared_year
    from communes
    inner join rulesets
        on communes.year = rulesets.year
    cross join (values ('previous_year'), ('baseline')) as kinds (comparison)
),

province_versions as (
    select distinct
        year,
        province_code,
        province_registry_version
    from districts
),

-- the version of the earlier year: the district's own then, else its province's
with_version as (
    select
        comparisons.*,
        coalesce(
            own.registry_version, province_versions.province_registry_version
        ) as compared_version
    from comparisons
    left join districts as own
        on
            comparisons.compared_year = own.year
            and comparisons.district_code = own.district_code
    left join province_versions
        on
            comparisons.compared_year = province_versions.year
            and comparisons.province_code = province_versions.province_code
    where comparisons.compared_year < comparisons.year
),

linked as (
    select
        with_version.*,
        predecessors.previous_code,
        predecessors.whole,
        earlier.commune_code is not null as is_predecessor_reported,
        earlier.social_order_crimes as earlier_social_order_crimes,
        earlier.social_evil_cases as earlier_social_evil_cases
    from with_version
    left join predecessors
        on
            with_version.registry_version = predecessors.registry_version
            and with_version.commune_code = predecessors.commune_code
            and with_version.compared_version = predecessors.previous_version
    left join communes as earlier
        on
            with_version.compared_year = earlier.year
            and with_version.province_code = earlier.province_code
            and with_version.compared_version = earlier.registry_version
            and predecessors.previous_code = earlier.commune_code
),

summarised as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        registry_version,
        comparison,
        compared_year,
        compared_version,
        count(previous_code) as count_predecessors,
        coalesce(bool_and(whole), false) as is_whole,
        coalesce(bool_and(is_predecessor_reported), false) as are_predecessors_reported,
        list(previous_code order by previous_code) filter (
            where previous_code is not null
        ) as predecessor_codes,
        sum(earlier_social_order_crimes)::integer as compared_social_order_crimes,
        sum(earlier_social_evil_cases)::integer as compared_social_evil_cases
    from linked
    group by all
),

final as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        registry_version,
        comparison,
        compared_year,
        compared_version,
        predecessor_codes,
        -- known: compared with the sum of its predecessors; no_data: nothing accepted for the
        -- earlier year in the province; changed: the commune changed between the versions
        -- and no succession is known; part: a predecessor gave it only a part;
        -- not_reported: a predecessor is not in the earlier year's accepted data
        case
            when compared_version is null then 'no_data'
            when count_predecessors = 0 then 'changed'
            when not is_whole then 'part'
            when not are_predecessors_reported then 'not_reported'
            else 'known'
        end as comparison_status,
        case
            when
                compared_version is not null
                and count_predecessors > 0
                and is_whole
                and are_predecessors_reported
                then compared_social_order_crimes
        end as compared_social_order_crimes,
        case
            when
                compared_version is not null
                and count_predecessors > 0
                and is_whole
                and are_predecessors_reported
                then compared_social_evil_cases
        end as compared_social_evil_cases
    from summarised
)

select * from final
