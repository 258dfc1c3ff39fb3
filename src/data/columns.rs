//! Finding the customer, date, amount and order columns among an export's headers.

use super::table::{list, require};
use crate::error::ClmError;

/// Spellings recognised for each role, most specific first, compared after [`normalize`].
pub const CUSTOMER_NAMES: &[&str] = &[
    "customerid",
    "customer",
    "custid",
    "clientid",
    "client",
    "userid",
    "user",
    "memberid",
    "memberno",
    "member",
    "accountid",
    "account",
    "buyerid",
];
const DATE_NAMES: &[&str] = &[
    "invoicedate",
    "orderdate",
    "transactiondate",
    "purchasedate",
    "date",
    "orderdatetime",
    "datetime",
    "timestamp",
    "ts",
    "createdat",
    "created",
    "time",
];
const AMOUNT_NAMES: &[&str] = &[
    "amount",
    "netamount",
    "totalamount",
    "revenue",
    "netrevenue",
    "total",
    "sales",
    "netsales",
    "sale",
    "spend",
    "ordervalue",
    "value",
    "totalprice",
];
const ORDER_NAMES: &[&str] = &[
    "invoiceno",
    "invoicenumber",
    "invoice",
    "invoiceid",
    "orderid",
    "orderno",
    "ordernumber",
    "order",
    "transactionid",
    "receiptid",
];
const QUANTITY_NAMES: &[&str] = &["quantity", "qty", "units"];
const PRICE_NAMES: &[&str] = &["unitprice", "price", "itemprice"];

/// Where the amount of a transaction comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountSource {
    /// One column holds the net amount.
    Column(String),
    /// Amount = quantity × unit price (line-item exports without an amount column).
    QuantityTimesPrice { quantity: String, price: String },
}

/// The export's columns that play each canonical role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub customer: String,
    pub date: String,
    pub amount: AmountSource,
    pub order: Option<String>,
}

/// Explicit column names given on the command line; `None` means detect.
#[derive(Debug, Clone, Default)]
pub struct ColumnOverrides {
    pub customer: Option<String>,
    pub date: Option<String>,
    pub amount: Option<String>,
    pub order: Option<String>,
}

impl ColumnMap {
    /// Every source column the map reads.
    pub fn source_columns(&self) -> Vec<String> {
        let mut names = vec![self.customer.clone(), self.date.clone()];
        match &self.amount {
            AmountSource::Column(name) => names.push(name.clone()),
            AmountSource::QuantityTimesPrice { quantity, price } => {
                names.push(quantity.clone());
                names.push(price.clone());
            }
        }
        names.extend(self.order.clone());
        names
    }

    /// One line saying which columns were used, for the log.
    pub fn describe(&self) -> String {
        let amount = match &self.amount {
            AmountSource::Column(name) => format!("'{name}'"),
            AmountSource::QuantityTimesPrice { quantity, price } => {
                format!("'{quantity}' × '{price}'")
            }
        };
        let order = self
            .order
            .as_ref()
            .map(|o| format!(", order '{o}'"))
            .unwrap_or_default();
        format!(
            "columns: customer '{}', date '{}', amount {amount}{order}",
            self.customer, self.date
        )
    }
}

/// Lower case, letters and digits only: "Customer ID", "customer_id" and "CustomerID" agree.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Maps the headers of `source` to the canonical roles, honouring explicit overrides.
pub fn map_columns(
    source: &str,
    headers: &[String],
    overrides: &ColumnOverrides,
) -> Result<ColumnMap, ClmError> {
    check_duplicate_headers(source, headers)?;
    let customer = resolve(
        source,
        headers,
        &overrides.customer,
        CUSTOMER_NAMES,
        "customer id",
        "--customer-col",
    )?;
    let date = resolve(
        source,
        headers,
        &overrides.date,
        DATE_NAMES,
        "date",
        "--date-col",
    )?;
    let amount = match &overrides.amount {
        Some(name) => AmountSource::Column(require(source, headers, name, "--amount-col")?),
        None => detect_amount(source, headers)?,
    };
    let order = match &overrides.order {
        Some(name) => Some(require(source, headers, name, "--order-col")?),
        None => detect(source, headers, ORDER_NAMES, "order id")?,
    };
    Ok(ColumnMap {
        customer,
        date,
        amount,
        order,
    })
}

fn check_duplicate_headers(source: &str, headers: &[String]) -> Result<(), ClmError> {
    for (i, name) in headers.iter().enumerate() {
        if headers[..i].contains(name) {
            return Err(ClmError::BadData(format!(
                "{source}: the header names column '{name}' twice; rename one of them"
            )));
        }
    }
    Ok(())
}

fn resolve(
    source: &str,
    headers: &[String],
    explicit: &Option<String>,
    spellings: &[&str],
    role: &str,
    flag: &str,
) -> Result<String, ClmError> {
    if let Some(name) = explicit {
        return require(source, headers, name, flag);
    }
    detect(source, headers, spellings, role)?.ok_or_else(|| {
        ClmError::BadData(format!(
            "{source}: no {role} column found among {}; name it with {flag}",
            list(headers)
        ))
    })
}

/// The header matching the most specific spelling; an error when two headers match it equally.
fn detect(
    source: &str,
    headers: &[String],
    spellings: &[&str],
    role: &str,
) -> Result<Option<String>, ClmError> {
    for spelling in spellings {
        let matches: Vec<&String> = headers
            .iter()
            .filter(|h| normalize(h) == *spelling)
            .collect();
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok(Some((*one).clone())),
            many => {
                return Err(ClmError::BadData(format!(
                    "{source}: the {role} column is ambiguous: {}; choose one with its --*-col flag",
                    list(&many.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                )));
            }
        }
    }
    Ok(None)
}

fn detect_amount(source: &str, headers: &[String]) -> Result<AmountSource, ClmError> {
    if let Some(name) = detect(source, headers, AMOUNT_NAMES, "amount")? {
        return Ok(AmountSource::Column(name));
    }
    let quantity = detect(source, headers, QUANTITY_NAMES, "quantity")?;
    let price = detect(source, headers, PRICE_NAMES, "unit price")?;
    match (quantity, price) {
        (Some(quantity), Some(price)) => Ok(AmountSource::QuantityTimesPrice { quantity, price }),
        _ => Err(ClmError::BadData(format!(
            "{source}: no amount column (or quantity and unit price) found among {}; name it with --amount-col",
            list(headers)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_uci_line_items() {
        let h = headers(&[
            "InvoiceNo",
            "StockCode",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
        ]);
        let map = map_columns("f", &h, &ColumnOverrides::default()).unwrap();
        assert_eq!(map.customer, "CustomerID");
        assert_eq!(map.date, "InvoiceDate");
        assert_eq!(map.order.as_deref(), Some("InvoiceNo"));
        assert_eq!(
            map.amount,
            AmountSource::QuantityTimesPrice {
                quantity: "Quantity".into(),
                price: "UnitPrice".into()
            }
        );
    }

    #[test]
    fn detects_spaced_and_snake_case_names() {
        let h = headers(&["Customer ID", "order_date", "Revenue"]);
        let map = map_columns("f", &h, &ColumnOverrides::default()).unwrap();
        assert_eq!(
            (map.customer.as_str(), map.date.as_str()),
            ("Customer ID", "order_date")
        );
        assert_eq!(map.amount, AmountSource::Column("Revenue".into()));
        assert_eq!(map.order, None);
    }

    #[test]
    fn more_specific_spelling_wins() {
        let h = headers(&["date", "order_date", "customer_id", "amount"]);
        let map = map_columns("f", &h, &ColumnOverrides::default()).unwrap();
        assert_eq!(map.date, "order_date");
    }

    #[test]
    fn two_spellings_of_one_name_are_ambiguous() {
        let h = headers(&["customer_id", "Customer ID", "date", "amount"]);
        let err = map_columns("f.csv", &h, &ColumnOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("ambiguous"), "{err}");
    }

    #[test]
    fn override_must_exist() {
        let h = headers(&["customer_id", "date", "amount"]);
        let overrides = ColumnOverrides {
            amount: Some("Sales".into()),
            ..Default::default()
        };
        let err = map_columns("f.csv", &h, &overrides).unwrap_err();
        assert!(
            err.to_string()
                .contains("--amount-col names column 'Sales'"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_headers_are_rejected() {
        let h = headers(&["customer_id", "date", "amount", "date"]);
        assert!(map_columns("f", &h, &ColumnOverrides::default()).is_err());
    }
}
