//! The string formats Spikard checks: the ones its Python types map to. Each accepts only
//! text that the matching Python constructor (`uuid.UUID`, `datetime.fromisoformat`,
//! `decimal.Decimal`) also accepts, so building the value after validation cannot fail.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Uuid,
    DateTime,
    Date,
    Time,
    Decimal,
}

/// A format failure: pydantic's error type and message.
pub struct FormatError {
    pub kind: &'static str,
    pub msg: String,
    /// `ctx.error`, where pydantic gives one.
    pub ctx: Option<String>,
}

impl Format {
    pub fn named(name: &str) -> Option<Format> {
        Some(match name {
            "uuid" => Format::Uuid,
            "date-time" => Format::DateTime,
            "date" => Format::Date,
            "time" => Format::Time,
            "decimal" => Format::Decimal,
            _ => return None,
        })
    }

    pub fn check(self, text: &str) -> Result<(), FormatError> {
        let fail = |kind, msg: String| Err(FormatError { kind, msg, ctx: None });
        match self {
            Format::Uuid => match uuid::Uuid::try_parse(text) {
                Ok(_) => Ok(()),
                Err(e) => Err(FormatError {
                    kind: "uuid_parsing",
                    msg: format!("Input should be a valid UUID, {e}"),
                    ctx: Some(e.to_string()),
                }),
            },
            Format::Date => match date(text.as_bytes()) {
                Ok([]) => Ok(()),
                Ok(_) => fail(
                    "date_parsing",
                    "Input should be a valid date in the format YYYY-MM-DD, unexpected extra characters at the end of the input".into(),
                ),
                Err(why) => fail(
                    "date_parsing",
                    format!("Input should be a valid date in the format YYYY-MM-DD, {why}"),
                ),
            },
            Format::Time => match time(text.as_bytes()) {
                Ok(()) => Ok(()),
                Err(why) => fail("time_parsing", format!("Input should be in a valid time format, {why}")),
            },
            Format::DateTime => {
                let parsed = date(text.as_bytes()).and_then(|rest| match rest {
                    [b'T' | b't' | b' ', time_part @ ..] => time(time_part),
                    [] => Err("input is too short"),
                    _ => Err("invalid character in date separator"),
                });
                match parsed {
                    Ok(()) => Ok(()),
                    Err(why) => fail("datetime_parsing", format!("Input should be a valid datetime, {why}")),
                }
            }
            Format::Decimal => {
                if is_decimal(text.as_bytes()) {
                    Ok(())
                } else {
                    fail("decimal_parsing", "Input should be a valid decimal".into())
                }
            }
        }
    }
}

fn digits<'a>(input: &'a [u8], n: usize, what: &'static str) -> Result<(u32, &'a [u8]), &'static str> {
    if input.len() < n {
        return Err("input is too short");
    }
    let (head, rest) = input.split_at(n);
    if !head.iter().all(u8::is_ascii_digit) {
        return Err(what);
    }
    Ok((head.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')), rest))
}

fn expect<'a>(input: &'a [u8], byte: u8, what: &'static str) -> Result<&'a [u8], &'static str> {
    match input.split_first() {
        Some((b, rest)) if *b == byte => Ok(rest),
        Some(_) => Err(what),
        None => Err("input is too short"),
    }
}

/// `YYYY-MM-DD`; returns what follows it.
fn date(input: &[u8]) -> Result<&[u8], &'static str> {
    let (year, rest) = digits(input, 4, "invalid character in year")?;
    let rest = expect(rest, b'-', "invalid date separator, expected `-`")?;
    let (month, rest) = digits(rest, 2, "invalid character in month")?;
    let rest = expect(rest, b'-', "invalid date separator, expected `-`")?;
    let (day, rest) = digits(rest, 2, "invalid character in day")?;
    if !(1..=12).contains(&month) {
        return Err("month value is outside expected range of 1-12");
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if year == 0 || day == 0 || day > days {
        return Err("day value is outside expected range");
    }
    Ok(rest)
}

/// `HH:MM[:SS[.ffffff]]` and an optional `Z` or `±HH:MM` offset.
fn time(input: &[u8]) -> Result<(), &'static str> {
    let (hour, rest) = digits(input, 2, "invalid character in hour")?;
    let rest = expect(rest, b':', "invalid time separator, expected `:`")?;
    let (minute, mut rest) = digits(rest, 2, "invalid character in minute")?;
    if hour > 23 {
        return Err("hour value is outside expected range of 0-23");
    }
    if minute > 59 {
        return Err("minute value is outside expected range of 0-59");
    }
    if let [b':', after @ ..] = rest {
        let (second, after) = digits(after, 2, "invalid character in second")?;
        if second > 59 {
            return Err("second value is outside expected range of 0-59");
        }
        rest = after;
        if let [b'.', fraction @ ..] = rest {
            let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 || n > 6 {
                return Err("second fraction must have 1 to 6 digits");
            }
            rest = &fraction[n..];
        }
    }
    match rest {
        [] | [b'Z' | b'z'] => Ok(()),
        [b'+' | b'-', offset @ ..] => {
            let (oh, after) = digits(offset, 2, "invalid timezone sign")?;
            let after = expect(after, b':', "invalid timezone sign")?;
            let (om, after) = digits(after, 2, "invalid timezone sign")?;
            if oh > 23 || om > 59 || !after.is_empty() {
                return Err("timezone offset is outside expected range");
            }
            Ok(())
        }
        _ => Err("unexpected extra characters at the end of the input"),
    }
}

/// `[+-]digits[.digits][e[+-]digits]`, with digits on at least one side of the point.
fn is_decimal(text: &[u8]) -> bool {
    let text = text
        .strip_prefix(b"+")
        .or_else(|| text.strip_prefix(b"-"))
        .unwrap_or(text);
    let int = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut rest = &text[int..];
    let mut frac = 0;
    if let [b'.', after @ ..] = rest {
        frac = after.iter().take_while(|b| b.is_ascii_digit()).count();
        rest = &after[frac..];
    }
    if int + frac == 0 {
        return false;
    }
    match rest {
        [] => true,
        [b'e' | b'E', exp @ ..] => {
            let exp = exp.strip_prefix(b"+").or_else(|| exp.strip_prefix(b"-")).unwrap_or(exp);
            !exp.is_empty() && exp.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}
