-- The typical-model types of the workbook contract, loaded from the contract itself with
-- the rest of the reference data, so that the SQL lists them nowhere.
create table if not exists ref.model_types (
    model_type varchar primary key,
    model_type_order integer not null,
    model_type_label varchar not null
);
