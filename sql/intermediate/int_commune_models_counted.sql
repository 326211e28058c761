-- one row per reported commune, year and model type listed with at least one row
with

models as (
    select * from staging.stg_models
),

communes as (
    select * from intermediate.int_communes_in_force
),

counted as (
    select
        communes.year,
        communes.province_code,
        communes.district_code,
        communes.commune_code,
        models.model_type,
        count(*) as count_models,
        count(*) filter (where models.is_effective) as effective_models
    from models
    inner join communes
        on
            models.submission_id = communes.submission_id
            and models.commune_code = communes.commune_code
    group by all
),

final as (
    select * from counted
)

select * from final
