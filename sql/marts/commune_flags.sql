-- one row per commune, year and condition that fails or is unknown (R0 for a commune not reported)
with

assessment as (
    select * from intermediate.int_communes_assessed
),

conditions as (
    select * from intermediate.int_commune_conditions_evaluated
),

districts as (
    select * from intermediate.int_districts_in_scope
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

condition_flags as (
    select
        conditions.year,
        conditions.province_code,
        conditions.district_code,
        conditions.commune_code,
        conditions.level,
        conditions.condition,
        conditions.condition_order,
        conditions.outcome,
        conditions.observed,
        conditions.threshold,
        conditions.villages_needed,
        conditions.previous_comparison_status,
        conditions.previous_registry_version,
        conditions.registry_version,
        conditions.ruleset
    from conditions
    where conditions.outcome in ('fail', 'unknown')
),

not_reported_flags as (
    select
        assessment.year,
        assessment.province_code,
        assessment.district_code,
        assessment.commune_code,
        'basic' as level,
        'R0_not_reported' as condition,
        0 as condition_order,
        'fail' as outcome,
        case
            when assessment.submission_id is null
                then format('no accepted submission from district {}', assessment.district_code)
            else format(
                'not listed in accepted submission {} of district {}',
                assessment.submission_id,
                assessment.district_code
            )
        end as observed,
        'listed in the accepted submission of its district' as threshold,
        assessment.registry_version,
        assessment.ruleset
    from assessment
    where assessment.status = 'not_reported'
),

flags as (
    select * from condition_flags
    union all by name
    select * from not_reported_flags
),

described as (
    select
        flags.*,
        assessment.commune_name,
        districts.district_name,
        rulesets.serious_crime_policy,
        districts.submission_id is null as district_sent_nothing
    from flags
    inner join assessment
        on
            flags.commune_code = assessment.commune_code
            and flags.year = assessment.year
    inner join districts
        on
            flags.district_code = districts.district_code
            and flags.year = districts.year
    inner join rulesets
        on flags.year = rulesets.year
),

worded as (
    select
        *,
        case
            when condition = 'R0_not_reported' and district_sent_nothing
                then format(
                    '{} has no accepted report for {}; ask the district to submit its workbook',
                    district_name,
                    year
                )
            when condition = 'R0_not_reported'
                then format(
                    'missing from the accepted {} report of {}; ask the district to resubmit '
                    || 'with this commune listed',
                    year,
                    district_name
                )
            when
                condition in ('C5_crime_contained', 'A1_crime_reduced')
                and outcome = 'unknown'
                and previous_comparison_status = 'changed'
                then format(
                    'the commune changed between registry versions {} ({}) and {} ({}) and no '
                    || 'succession is known, so the crime trend cannot be assessed; the '
                    || 'province can add what it came from to rulesets/commune_successions.csv',
                    previous_registry_version,
                    year - 1,
                    registry_version,
                    year
                )
            when
                condition in ('C5_crime_contained', 'A1_crime_reduced')
                and outcome = 'unknown'
                and previous_comparison_status = 'part'
                then format(
                    'the commune took in only part of a commune of registry version {}, so its '
                    || '{} figures cannot be compared',
                    previous_registry_version,
                    year - 1
                )
            when condition in ('C5_crime_contained', 'A1_crime_reduced') and outcome = 'unknown'
                then format(
                    'no accepted {} report lists this commune, so the crime trend cannot be '
                    || 'assessed; ask the district to submit or correct its {} report',
                    year - 1,
                    year - 1
                )
            when outcome = 'unknown'
                then
                    'the number of villages is 0, so the share of safe villages cannot be '
                    || 'computed; correct the commune row'
            when condition = 'C1_governance'
                then
                    'the Party committee resolution or the People''s Committee plan on '
                    || 'security and order is missing; adopt both'
            when condition = 'C2_no_security_incidents'
                then
                    'complex national-security incidents occurred; review each case with '
                    || 'the district police'
            when condition = 'C3_no_mass_complaints'
                then 'prolonged mass complaints remain; resolve them at the commune'
            when condition = 'C4_no_serious_crime' and serious_crime_policy = 'solved'
                then
                    'not every serious crime has been solved; follow up the open cases '
                    || 'with the police'
            when condition = 'C4_no_serious_crime'
                then 'serious crimes were recorded; the criterion allows none'
            when condition = 'C5_crime_contained'
                then format(
                    'crime or social evils rose above {}; set measures to bring them down',
                    year - 1
                )
            when condition = 'C6_safe_villages'
                then format(
                    'too few villages are safe on security and order; {} more must reach '
                    || 'the standard',
                    villages_needed
                )
            when condition = 'C7_commune_police'
                then
                    'the commune police rating or discipline record does not qualify; '
                    || 'address it with the district police'
            when condition = 'C8_typical_model'
                then
                    'no typical security model runs effectively; bring one into '
                    || 'effective operation'
            when condition = 'A1_crime_reduced'
                then format(
                    'crime against social order did not fall below {}, as the advanced '
                    || 'level requires',
                    year - 1
                )
            when condition = 'A2_safe_villages_90'
                then format(
                    '{} more villages must be safe on security and order for the advanced '
                    || 'level',
                    villages_needed
                )
            when condition = 'A3_camera_and_two_models'
                then
                    'the advanced level needs more effective models, one of them a '
                    || 'security camera model'
            when condition = 'A4_movement_fair'
                then
                    'the "whole people protect national security" movement is rated '
                    || 'below what the advanced level requires'
        end as advice_en,
        case
            when condition = 'R0_not_reported' and district_sent_nothing
                then format(
                    '{} chưa có báo cáo năm {} được chấp nhận; đề nghị huyện gửi báo cáo',
                    district_name,
                    year
                )
            when condition = 'R0_not_reported'
                then format(
                    'không có trong báo cáo năm {} đã được chấp nhận của {}; đề nghị huyện '
                    || 'gửi lại báo cáo có xã này',
                    year,
                    district_name
                )
            when
                condition in ('C5_crime_contained', 'A1_crime_reduced')
                and outcome = 'unknown'
                and previous_comparison_status = 'changed'
                then format(
                    'xã đã thay đổi giữa danh mục {} (năm {}) và danh mục {} (năm {}) mà chưa '
                    || 'có thông tin kế thừa nên chưa đánh giá được xu hướng tội phạm; tỉnh có '
                    || 'thể bổ sung vào rulesets/commune_successions.csv',
                    previous_registry_version,
                    year - 1,
                    registry_version,
                    year
                )
            when
                condition in ('C5_crime_contained', 'A1_crime_reduced')
                and outcome = 'unknown'
                and previous_comparison_status = 'part'
                then format(
                    'xã chỉ nhận một phần của một xã theo danh mục {} nên không so sánh được '
                    || 'với số liệu năm {}',
                    previous_registry_version,
                    year - 1
                )
            when condition in ('C5_crime_contained', 'A1_crime_reduced') and outcome = 'unknown'
                then format(
                    'không có số liệu năm {} được chấp nhận cho xã này nên chưa đánh giá được '
                    || 'xu hướng tội phạm; đề nghị huyện gửi hoặc sửa báo cáo năm {}',
                    year - 1,
                    year - 1
                )
            when outcome = 'unknown'
                then
                    'tổng số thôn, tổ dân phố bằng 0 nên không tính được tỷ lệ thôn an '
                    || 'toàn; đề nghị sửa số liệu của xã'
            when condition = 'C1_governance'
                then
                    'thiếu Nghị quyết của Đảng ủy hoặc Kế hoạch của UBND xã về an ninh, '
                    || 'trật tự; cần ban hành đủ cả hai'
            when condition = 'C2_no_security_incidents'
                then
                    'có vụ việc phức tạp về an ninh quốc gia; cần rà soát từng vụ cùng '
                    || 'Công an huyện'
            when condition = 'C3_no_mass_complaints'
                then 'còn khiếu kiện đông người kéo dài; cần giải quyết dứt điểm tại xã'
            when condition = 'C4_no_serious_crime' and serious_crime_policy = 'solved'
                then
                    'chưa làm rõ hết các vụ tội phạm nghiêm trọng trở lên; cần phối hợp '
                    || 'với Công an để làm rõ'
            when condition = 'C4_no_serious_crime'
                then 'có tội phạm nghiêm trọng trở lên; tiêu chí yêu cầu không để xảy ra'
            when condition = 'C5_crime_contained'
                then format(
                    'tội phạm hoặc tệ nạn xã hội tăng so với năm {}; cần có biện pháp kiềm chế',
                    year - 1
                )
            when condition = 'C6_safe_villages'
                then format(
                    'tỷ lệ thôn đạt chuẩn an toàn về an ninh, trật tự chưa đủ; cần thêm {} '
                    || 'thôn đạt chuẩn',
                    villages_needed
                )
            when condition = 'C7_commune_police'
                then
                    'xếp loại Công an xã hoặc tình hình kỷ luật cán bộ chưa đạt; cần khắc '
                    || 'phục cùng Công an huyện'
            when condition = 'C8_typical_model'
                then
                    'chưa có mô hình điển hình hoạt động hiệu quả; cần đưa ít nhất một mô '
                    || 'hình vào hoạt động hiệu quả'
            when condition = 'A1_crime_reduced'
                then format(
                    'tội phạm về trật tự xã hội chưa giảm so với năm {}; chưa đạt mức nâng cao',
                    year - 1
                )
            when condition = 'A2_safe_villages_90'
                then format(
                    'cần thêm {} thôn đạt chuẩn an toàn về an ninh, trật tự để đạt mức nâng cao',
                    villages_needed
                )
            when condition = 'A3_camera_and_two_models'
                then
                    'chưa đủ mô hình hoạt động hiệu quả hoặc chưa có mô hình camera an ninh '
                    || 'để đạt mức nâng cao'
            when condition = 'A4_movement_fair'
                then
                    'phong trào Toàn dân bảo vệ an ninh Tổ quốc chưa đạt xếp loại của mức '
                    || 'nâng cao'
        end as advice_vi
    from described
),

final as (
    select
        year,
        province_code,
        district_code,
        commune_code,
        commune_name,
        level,
        condition,
        condition_order,
        outcome,
        observed,
        threshold,
        format(
            '{} ({}), {}: {} [{}; required: {}].',
            commune_name,
            commune_code,
            year,
            advice_en,
            observed,
            threshold
        ) as message,
        format(
            '{} ({}), năm {}: {} [{}; yêu cầu: {}].',
            commune_name,
            commune_code,
            year,
            advice_vi,
            observed,
            threshold
        ) as message_vi,
        ruleset,
        registry_version
    from worded
)

select * from final
