-- one row per reported commune and year, with its row in the accepted submission of year - 1
with

communes as (
    select * from intermediate.int_communes_in_force
),

joined as (
    select
        current_year.year,
        current_year.commune_code,
        previous_year.submission_id as previous_submission_id,
        previous_year.social_order_crimes as previous_social_order_crimes,
        previous_year.social_evil_cases as previous_social_evil_cases,
        previous_year.commune_code is not null as has_previous_year
    from communes as current_year
    left join communes as previous_year
        on
            current_year.commune_code = previous_year.commune_code
            and current_year.year - 1 = previous_year.year
),

final as (
    select * from joined
)

select * from final
