//! Reports by demographic group: holders and ratings by gender × age group.

use serde::Serialize;

use super::store as agg;
use super::{AgeGroup, Analytics, AnalyticsError, Scope, average, count};
use crate::auth::Actor;
use crate::users::Gender;

/// One demographic group of ticket holders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemographicRow {
    /// Gender.
    pub gender: Gender,
    /// Age group.
    pub age_group: AgeGroup,
    /// Distinct users holding a booked ticket.
    pub holders: u64,
}

/// Demographics of ticket holders: every gender × age group (zeros included), with totals per
/// gender and per age group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Demographics {
    /// Holders in total.
    pub holders: u64,
    /// Per gender.
    pub by_gender: Vec<(Gender, u64)>,
    /// Per age group.
    pub by_age_group: Vec<(AgeGroup, u64)>,
    /// Per gender × age group.
    pub groups: Vec<DemographicRow>,
}

/// The mean rating of one demographic group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRating {
    /// Gender.
    pub gender: Gender,
    /// Age group.
    pub age_group: AgeGroup,
    /// Ratings given by the group.
    pub count: u64,
    /// Their mean (none without ratings).
    pub average: Option<f64>,
}

/// Ratings by demographic group (groups that rated, in gender then age order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingsByGroup {
    /// One row per group with at least one rating.
    pub groups: Vec<GroupRating>,
}

pub(super) const GENDERS: [Gender; 4] = [
    Gender::Female,
    Gender::Male,
    Gender::NonBinary,
    Gender::Undisclosed,
];

impl Analytics<'_> {
    /// Ticket holders by gender and age group.
    pub fn demographics(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<Demographics, AnalyticsError> {
        let groups = self.groups(&self.authorize(actor, scope)?)?;
        let mut rows = Vec::with_capacity(GENDERS.len() * AgeGroup::ALL.len());
        for gender in GENDERS {
            for age_group in AgeGroup::ALL {
                let holders = groups
                    .iter()
                    .find(|(g, _)| *g == (gender, age_group))
                    .map_or(0, |(_, c)| count(c.holders));
                rows.push(DemographicRow {
                    gender,
                    age_group,
                    holders,
                });
            }
        }
        let by_gender = GENDERS
            .iter()
            .map(|g| {
                let n = rows.iter().filter(|r| r.gender == *g).map(|r| r.holders);
                (*g, n.sum())
            })
            .collect();
        let by_age_group = AgeGroup::ALL
            .iter()
            .map(|a| {
                let n = rows.iter().filter(|r| r.age_group == *a).map(|r| r.holders);
                (*a, n.sum())
            })
            .collect();
        Ok(Demographics {
            holders: rows.iter().map(|r| r.holders).sum(),
            by_gender,
            by_age_group,
            groups: rows,
        })
    }

    /// Mean rating per gender × age group.
    pub fn ratings_by_group(
        &self,
        actor: &Actor,
        scope: Scope,
    ) -> Result<RatingsByGroup, AnalyticsError> {
        let groups = self.groups(&self.authorize(actor, scope)?)?;
        let mut rows: Vec<_> = groups
            .into_iter()
            .filter(|(_, c)| c.rating_count > 0)
            .map(|((gender, age_group), c)| GroupRating {
                gender,
                age_group,
                count: count(c.rating_count),
                average: average(c.rating_sum, c.rating_count),
            })
            .collect();
        rows.sort_by_key(|r| (agg::gender_byte(r.gender), r.age_group));
        Ok(RatingsByGroup { groups: rows })
    }
}
