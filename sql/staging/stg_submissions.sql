-- one row per file received (every status), with the district and year it claims
with

source as (
    select * from ops.submissions
),

renamed as (
    select
        submission_id::bigint as submission_id,
        file_name,
        received_at::timestamptz as received_at,
        run_id,
        province_code::varchar as province_code,
        district_code::varchar as district_code,
        year::integer as year,
        lower(status) as status,
        error_count::integer as error_count,
        warning_count::integer as warning_count,
        registry_version::varchar as registry_version
    from source
),

final as (
    select * from renamed
)

select * from final
