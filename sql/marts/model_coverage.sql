-- one row per level (district, province, nation), unit, year and model type
with

districts as (
    select * from intermediate.int_districts_in_scope
),

district_summary as (
    select * from intermediate.int_districts_summarised
),

provinces as (
    select * from staging.stg_provinces
),

models as (
    select * from intermediate.int_commune_models_counted
),

model_types as (
    select * from staging.stg_model_types
),

model_counts as (
    select
        year,
        district_code,
        model_type,
        count(*) filter (where effective_models > 0) as communes_with_model,
        sum(effective_models)::bigint as effective_models
    from models
    group by year, district_code, model_type
),

district_level as (
    select
        'district' as level,
        districts.district_code as unit_code,
        districts.district_name as unit_name,
        districts.province_code,
        districts.year,
        model_types.model_type,
        model_types.model_type_order,
        district_summary.communes_expected,
        coalesce(model_counts.communes_with_model, 0) as communes_with_model,
        coalesce(model_counts.effective_models, 0) as effective_models,
        districts.ruleset
    from districts
    cross join model_types
    inner join district_summary
        on
            districts.district_code = district_summary.district_code
            and districts.year = district_summary.year
    left join model_counts
        on
            districts.district_code = model_counts.district_code
            and districts.year = model_counts.year
            and model_types.model_type = model_counts.model_type
),

province_level as (
    select
        'province' as level,
        district_level.province_code as unit_code,
        provinces.province_name as unit_name,
        district_level.province_code,
        district_level.year,
        district_level.model_type,
        district_level.model_type_order,
        sum(district_level.communes_expected)::bigint as communes_expected,
        sum(district_level.communes_with_model)::bigint as communes_with_model,
        sum(district_level.effective_models)::bigint as effective_models,
        district_level.ruleset
    from district_level
    inner join provinces
        on district_level.province_code = provinces.province_code
    group by all
),

nation_level as (
    select
        'nation' as level,
        'VN' as unit_code,
        'Việt Nam' as unit_name,
        null::varchar as province_code,
        year,
        model_type,
        model_type_order,
        sum(communes_expected)::bigint as communes_expected,
        sum(communes_with_model)::bigint as communes_with_model,
        sum(effective_models)::bigint as effective_models,
        ruleset
    from province_level
    group by all
),

unioned as (
    select * from district_level
    union all by name
    select * from province_level
    union all by name
    select * from nation_level
),

final as (
    select
        level,
        unit_code,
        year,
        model_type,
        unit_name,
        province_code,
        model_type_order,
        communes_expected::bigint as communes_expected,
        communes_with_model::bigint as communes_with_model,
        communes_with_model / nullif(communes_expected, 0) as pct_communes_with_model,
        effective_models::bigint as effective_models,
        ruleset
    from unioned
)

select * from final
