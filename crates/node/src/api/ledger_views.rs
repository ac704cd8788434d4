//! Schemas of the answers that the node writes straight from ledger records, which have no
//! view in `plexus_client`: they only describe JSON for the API document, and a test compares
//! each with what the node answers.

use plexus_client::views::schema::AmountSchema;
use utoipa::ToSchema;

/// `GET /v1/storage` and `GET /v1/learn`: an escrow's accounting.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes JSON that the handlers write from ledger records.
pub(crate) struct EscrowView {
    #[schema(value_type = AmountSchema)]
    escrowed: (),
    #[schema(value_type = AmountSchema)]
    paid: (),
    #[schema(value_type = AmountSchema)]
    refunded: (),
    /// What the escrow account holds.
    #[schema(value_type = AmountSchema)]
    held: (),
    /// Whether `escrowed = paid + refunded + held`.
    balanced: bool,
}

/// `GET /v1/market`: the market's escrow and bonds.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct MarketTotalsView {
    #[schema(value_type = AmountSchema)]
    escrowed: (),
    /// Released to providers (withdrawn or not).
    #[schema(value_type = AmountSchema)]
    paid: (),
    #[schema(value_type = AmountSchema)]
    withdrawn: (),
    #[schema(value_type = AmountSchema)]
    fees: (),
    #[schema(value_type = AmountSchema)]
    refunded: (),
    #[schema(value_type = AmountSchema)]
    bonded: (),
    #[schema(value_type = AmountSchema)]
    bonds_returned: (),
    #[schema(value_type = AmountSchema)]
    bonds_slashed: (),
    wrong_results: u64,
    /// What live orders hold.
    #[schema(value_type = AmountSchema)]
    in_orders: (),
    /// The escrow account's balance.
    #[schema(value_type = AmountSchema)]
    balance: (),
    /// Whether every escrowed and bonded unit is accounted for.
    balanced: bool,
}

/// `GET /v1/market/providers/{address}`: a provider's record of checked results.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ProviderView {
    /// Results confirmed by a re-execution.
    confirmed: u32,
    /// Results shown wrong.
    wrong: u32,
    /// Sealed results it did not reveal in time (each forfeited its bond).
    forfeited: u32,
    /// Barred from bidding: a result was shown wrong, or 3 sealed results were hidden.
    banned: bool,
}
