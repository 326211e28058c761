-- one row per reported commune and year, compared with year - 1 through its predecessors
-- in the registry version of year - 1 (int_commune_years_compared)
with

communes as (
    select * from intermediate.int_communes_in_force
),

compared as (
    select * from intermediate.int_commune_years_compared
    where comparison = 'previous_year'
),

joined as (
    select
        current_year.year,
        current_year.commune_code,
        current_year.registry_version,
        compared.compared_version as previous_registry_version,
        coalesce(compared.comparison_status, 'no_data') as previous_comparison_status,
        compared.predecessor_codes as previous_codes,
        compared.compared_social_order_crimes as previous_social_order_crimes,
        compared.compared_social_evil_cases as previous_social_evil_cases,
        coalesce(compared.comparison_status = 'known', false) as has_previous_year
    from communes as current_year
    left join compared
        on
            current_year.commune_code = compared.commune_code
            and current_year.year = compared.year
),

final as (
    select * from joined
)

select * from final
